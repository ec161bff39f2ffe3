"""Runtime hook of the ALM build: let bitsandbytes find the bundled CUDA runtime.

In a pip environment, ``libbitsandbytes_cuda*.so`` finds ``libcudart``, ``libcublas`` and
``libcublasLt`` because torch has already loaded them from the ``nvidia-*`` wheels. In the
frozen app those libraries sit in ``_internal/nvidia/*/lib``, which is not on the loader's
search path, and ``LD_LIBRARY_PATH`` cannot be changed for a process that is already running.
So, the first time anything imports torch (never at start-up: the CPU engine does not), this
hook loads them globally (``RTLD_GLOBAL``) from the bundle, in dependency order; the loader
then reuses them when bitsandbytes is opened. On a machine without an NVIDIA driver this
still succeeds (the driver is needed only when CUDA starts), and the app falls back to the
CPU engine with its own message.

``BNB_CUDA_VERSION`` set by the user is respected (it picks another bundled
``libbitsandbytes_cudaXYZ.so``); the build bundles only the one matching torch's CUDA.
"""

import ctypes
import glob
import importlib.abc
import os
import sys

_CUDA_LIBS = ("cuda_runtime/lib/libcudart.so.*", "nvjitlink/lib/libnvJitLink.so.*",
              "cublas/lib/libcublasLt.so.*", "cublas/lib/libcublas.so.*",
              "cusparse/lib/libcusparse.so.*")


def _preload_bundled_cuda() -> None:
    root = os.path.join(getattr(sys, "_MEIPASS", ""), "nvidia")
    for pattern in _CUDA_LIBS:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                pass  # torch's own error, if any, is the one worth showing


class _PreloadBeforeTorch(importlib.abc.MetaPathFinder):
    """Runs the preload once, just before the first ``import torch``; finds nothing itself."""

    def find_spec(self, name, path=None, target=None):
        # Returning nothing (None) lets the normal finders import the module.
        if name == "torch":
            sys.meta_path.remove(self)
            _preload_bundled_cuda()


sys.meta_path.insert(0, _PreloadBeforeTorch())
