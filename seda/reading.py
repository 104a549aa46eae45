"""Reading SEDA 2.x elements by local name within one version's namespace."""

from __future__ import annotations

from lxml import etree

from seda import model as m
from seda.errors import UnreadableValue
from seda.versions import version_from_namespace


class SedaReader:
    """Children, texts and verbatim copies of the elements of one SEDA 2.x message."""

    def __init__(self, root: etree._Element) -> None:
        self.version = version_from_namespace(etree.QName(root).namespace)
        self.brace = "{" + self.version.namespace + "}"

    def local(self, el: etree._Element) -> str:
        tag = el.tag if isinstance(el.tag, str) else ""
        return tag[len(self.brace) :] if tag.startswith(self.brace) else "#" + tag

    def text(self, el: etree._Element | None, name: str) -> str | None:
        found = None if el is None else el.find(self.brace + name)
        return None if found is None else (found.text or "")

    def texts(self, el: etree._Element, name: str) -> tuple[str, ...]:
        return tuple((c.text or "") for c in el.findall(self.brace + name))

    def raw(self, el: etree._Element) -> m.RawXml:
        # Exclusive C14N: only the namespaces used, in a stable order (comparable, minimal).
        try:
            xml = etree.tostring(el, method="c14n", exclusive=True, with_tail=False)
        except etree.C14NError as exc:
            # C14N refuses what it cannot canonicalise, e.g. a relative namespace URI
            raise UnreadableValue(
                f"élément {self.local(el)} illisible tel quel (forme canonique impossible : {exc})"
            ) from exc
        return m.RawXml(self.local(el), xml)

    def children(self, el: etree._Element) -> list[etree._Element]:
        return [c for c in el if isinstance(c.tag, str)]
