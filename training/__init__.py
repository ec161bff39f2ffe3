"""Training and evaluation: produces SayWell's adapters and measures every backend the paper's way.

Imports ``engine`` (schema, prompts, model families, adapter manifest, metrics), never the
desktop app. Heavy libraries (torch, transformers, peft, accelerate) are imported inside the
functions that need them, so ``python -m training --help`` starts fast.

Modules: ``config`` (run configuration), ``speakers`` (L1s, test-speaker guard), ``data`` and
``annotations`` (examples), ``collate`` (batches, answer-only labels), ``modeling`` and
``train`` (the QLoRA recipe), ``export`` (adapter + manifest), ``evaluate``, ``backends``,
``cascade``, ``bertscore`` and ``report`` (evaluation). See ``docs/training.md``.
"""
