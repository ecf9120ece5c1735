"""The `loco` command line: one file per command family, each parsing options and calling
one function of the stage it belongs to. mlx is imported inside commands (`loco --help`
stays instant). app.py assembles the families and turns a LocoError into one line.
"""

from loco_mlx.cli.app import app, main

__all__ = ["app", "main"]
