from loco_mlx.cli import main

main()
