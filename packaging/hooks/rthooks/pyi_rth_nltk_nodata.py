"""Replaces the contrib run-time hook for nltk, which imports nltk at every start.

That hook only adds ``_internal/nltk_data`` to nltk's data path, but importing nltk costs
about a second before the window can open. SayWell bundles no nltk_data (BLEU needs none; see
``hook-nltk.py``), so there is nothing to set up and nltk stays a lazy import.
"""
