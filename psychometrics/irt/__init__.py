"""Item response theory: the Rasch family by conditional ML (``rasch``, ``pcm``, ``rsm``).

Submodules: ``esf`` (elementary symmetric functions), ``cml`` (conditional ML estimation),
``rasch`` (results and the public functions).
"""

from __future__ import annotations
