"""Colours and fonts shared by the widgets, so the window reads as one design."""

from __future__ import annotations

from engine.feedback import Verdict

ACCENT = "#2f6fdf"
TEXT = "#1f2933"
MUTED = "#61707f"
BACKGROUND = "#f6f7f9"
SURFACE = "#ffffff"
BORDER = "#d9dee5"
RECORD = "#d64545"
WAVE = "#3d4b5c"
PITCH = "#8a55d7"

#: Verdict -> (r, g, b) used for shading, chat badges and the legend.
VERDICT_RGB = {
    Verdict.GOOD: (46, 160, 100),
    Verdict.NEEDS_WORK: (232, 160, 32),
    Verdict.WRONG: (214, 69, 69),
}
#: Darker inks for text drawn on top of the verdict shading (readable contrast).
VERDICT_INK = {Verdict.GOOD: TEXT, Verdict.NEEDS_WORK: "#8a5a00", Verdict.WRONG: "#b42318"}
VERDICT_LABEL = {Verdict.GOOD: "good", Verdict.NEEDS_WORK: "needs work", Verdict.WRONG: "wrong"}


def verdict_hex(verdict: Verdict) -> str:
    r, g, b = VERDICT_RGB[verdict]
    return f"#{r:02x}{g:02x}{b:02x}"


def score_hex(score: float) -> str:
    if score >= 85:
        return verdict_hex(Verdict.GOOD)
    if score >= 60:
        return verdict_hex(Verdict.NEEDS_WORK)
    return verdict_hex(Verdict.WRONG)


STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QFrame#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 8px; }}
QLabel#sentence {{ font-size: 19pt; font-weight: 600; }}
QLabel#ipa {{ font-size: 12pt; color: {MUTED}; }}
QLabel#muted, QLabel#setDescription {{ color: {MUTED}; }}
QLabel#sectionTitle {{ font-size: 11pt; font-weight: 600; }}
QPushButton {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px;
               padding: 5px 12px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:disabled {{ color: #a0a8b2; background: #eef0f3; }}
QPushButton#record {{ background: {RECORD}; color: white; border: none; border-radius: 26px;
                      font-size: 12pt; font-weight: 600; padding: 0 22px; }}
QPushButton#record:checked {{ background: #8f1f1f; }}
QPushButton#record:focus {{ border: 3px solid #f3b0b0; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: none; }}
QPushButton#primary:disabled {{ background: #a9c1ee; color: #f4f7fd; }}
QLabel#sentence[long="true"] {{ font-size: 15pt; }}
QLineEdit, QComboBox {{ background: {SURFACE}; border: 1px solid {BORDER};
               border-radius: 6px; padding: 4px 6px; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 6px 16px; border: none; color: {MUTED}; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 4px; background: {SURFACE};
                text-align: center; max-height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
"""
