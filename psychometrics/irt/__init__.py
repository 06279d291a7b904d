"""Item response theory: the Rasch family by conditional ML (``rasch``, ``pcm``, ``rsm``).

Submodules: ``cml`` (elementary symmetric functions and conditional ML estimation),
``rasch`` (results and the public ``rasch``, ``pcm``, ``rsm``).
"""

from __future__ import annotations
