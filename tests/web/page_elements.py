"""Read a page's form controls, the texts of its ids and its alerts, as a screen reader would."""

from __future__ import annotations

from html.parser import HTMLParser


class Elements(HTMLParser):
    """Collect each element's attributes by id and by name, and each id's text."""

    def __init__(self) -> None:
        super().__init__()
        self.named: dict[str, list[dict[str, str | None]]] = {}
        self.texts: dict[str, str] = {}
        self.alerts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (id, is an alert) of elements being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("name"):
            self.named.setdefault(str(found["name"]), []).append(found)
        if tag in ("p", "strong", "span", "div"):
            alert = found.get("role") == "alert"
            self._open.append((found.get("id") or "", alert))
            if alert:
                self.alerts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "strong", "span", "div") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id, alert in self._open:
            if alert:
                self.alerts[-1] += data
            if element_id:
                self.texts[element_id] = self.texts.get(element_id, "") + data


def read(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


def tied(page: Elements, name: str, says: str) -> bool:
    """Tell whether every control named `name` is marked invalid and described by `says`."""
    controls = page.named.get(name, [])
    return bool(controls) and all(
        control.get("aria-invalid") == "true"
        and any(
            says in page.texts.get(i, "") for i in (control.get("aria-describedby") or "").split()
        )
        for control in controls
    )
