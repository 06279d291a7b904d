"""Item response theory: the Rasch family by conditional ML (``rasch``, ``pcm``, ``rsm``), the
graded response model by marginal ML (``grm``), DIF (``dif``) and the precision at a cut-off
(``cutoff_precision``, ``classification_accuracy``).

Submodules: ``cml`` (elementary symmetric functions and conditional ML estimation),
``rasch`` (results and the public ``rasch``, ``pcm``, ``rsm``), ``rasch_checks`` (eRm's input
checks), ``rasch_tests`` (the LR and Wald test results), ``grm`` (graded response model: options
and result, ordinal CFA conversion, simulation), ``grm_engine`` (its EM and information),
``ordinal_logistic`` (proportional-odds regression),
``dif``, ``precision``, ``plots`` (item-person map, information, DIF), ``analysis`` (a model
per subscale of an instrument: the ``irt`` command) and ``report`` (the report section).
The public names are reached through ``psychometrics`` (lazy ``_API`` table).
"""

from __future__ import annotations
