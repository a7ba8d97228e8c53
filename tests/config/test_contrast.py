"""WCAG 2.2 AA contrast of the primary button (4.5:1 for its text), from the stylesheets the
portal serves. (The browser suite's axe-core run checks every page; this names the rule.)"""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static" / "css"


def _luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _variables() -> dict[str, str]:
    css = (STATIC / "portal.css").read_text()
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", css))


def test_the_primary_buttons_white_text_has_at_least_4_5_to_1_contrast():
    rule = re.search(r"\.button \{([^}]*)\}", (STATIC / "forms.css").read_text()).group(1)
    background = re.search(r"background:\s*var\((--[\w-]+)\)", rule).group(1)
    text = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", rule).group(1)
    text = "#ffffff" if text.lower() == "#fff" else text

    assert _contrast(text, _variables()[background]) >= 4.5
