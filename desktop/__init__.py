"""SayWell's PySide6 desktop app. Imports the engine, never the training package.

Layout: ``app`` (composition root), ``main_window`` (wiring only), ``widgets`` (dumb views),
``view_models`` (QObjects that emit on change), ``workers`` (the one engine thread).
"""
