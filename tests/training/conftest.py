"""Training tests run torch on one thread: on a busy 2-core machine, two threads that wait
for each other make tiny-model steps 10-50x slower. The previous setting is restored."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
