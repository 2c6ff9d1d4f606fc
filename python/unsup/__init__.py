"""Read and write unsup tensor streams (docs/FORMAT.md) with numpy."""

from .stream import StreamError, iter_batches, read, write

__all__ = ["StreamError", "iter_batches", "read", "write"]
__version__ = "0.1.0"
