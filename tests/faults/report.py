"""The numbers fault tests measure: printed in pytest's closing summary (conftest), never asserted on."""

from __future__ import annotations

RECORDED: list[str] = []


def record(test: str, **numbers: object) -> None:
    line = f"{test}: " + ", ".join(f"{name}={value}" for name, value in numbers.items())
    RECORDED.append(line)
    print(line)
