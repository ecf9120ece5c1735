"""loco_mlx: one 4-bit base model, many hot-swapped LoRA specialists, on MLX."""

from loco_mlx.runtime import preload_blas

__version__ = "0.1.0"

# Must run before anything imports mlx.core: on Linux it swaps MLX's reference BLAS
# for a system OpenBLAS (about 30x faster fp32 matmuls on the CPU).
preload_blas()
