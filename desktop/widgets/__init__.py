"""Dumb widgets: they draw what they are given and emit the user's intent."""
