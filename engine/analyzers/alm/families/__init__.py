"""Model families behind one runtime interface (``base.AlmRuntime``).

Importing a family module imports torch and transformers: only the loader and training do.
"""
