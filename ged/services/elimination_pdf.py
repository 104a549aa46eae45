"""The bordereau d'élimination as a PDF, for signature and for the paper file (ReportLab's
platypus: tables whose rows wrap and that break across pages, their heading row repeated).

Same sheet as the printable page (``ged.services.elimination_sheet``), so the two never
disagree. The text is set in Bitstream Vera, which ReportLab ships, embedded as a subset: every
French letter, « », — and ’ print and can be searched and copied. Built with ``invariant``: the
same sheet always gives the same bytes (no creation time, no random document id).
"""

from __future__ import annotations

import html
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ged.services.elimination_sheet import (
    COLUMNS,
    DEROGATION_COLUMNS,
    SIGNATURES,
    SheetRow,
    SlipSheet,
)

FONT, BOLD = "GedVera", "GedVera-Bold"
PAGE = landscape(A4)
MARGIN = 12 * mm
# relative widths of the dossiers' columns (COLUMNS) and of the derogations' (DEROGATION_COLUMNS)
WIDTHS = (1.2, 1.0, 2.2, 1.6, 2.4, 1.1, 1.5, 1.6)
DEROGATION_WIDTHS = (2.0, 2.0, 4.0)


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))


def _style(size: float, font: str = FONT, space: float = 0) -> ParagraphStyle:
    return ParagraphStyle(
        font + str(size), fontName=font, fontSize=size, leading=size * 1.25, spaceAfter=space
    )


def elimination_pdf(sheet: SlipSheet) -> bytes:
    """The slip, A4 landscape: the facts of the proposal, its dossiers, its derogations, the
    two signatures."""
    _fonts()
    out = io.BytesIO()
    title = f"Bordereau d'élimination {sheet.proposal_id}"
    document = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=sheet.organisation,
        lang="fr-FR",
        invariant=True,
    )
    document.build(_story(sheet))
    return out.getvalue()


def _story(sheet: SlipSheet) -> list[Flowable]:
    heading, subheading = _style(16, BOLD, 4), _style(12, BOLD, 3)
    story: list[Flowable] = [
        Paragraph("Bordereau d'élimination", heading),
        Paragraph(_text(sheet.organisation), subheading),
        _table([(k, v) for k, v in sheet.facts], None, (1.0, 3.0), header=False),
        Spacer(1, 5 * mm),
        Paragraph("Dossiers proposés à l'élimination", subheading),
        _table([r.cells for r in sheet.rows], COLUMNS, WIDTHS),
        Paragraph(f"Volume total : {_text(sheet.total)}", _style(9, BOLD)),
        Spacer(1, 5 * mm),
        Paragraph("Dérogations", subheading),
    ]
    story += _derogations(sheet.derogations)
    story += [Spacer(1, 10 * mm), _signatures()]
    return story


def _signatures() -> Table:
    """Two boxes side by side, room left under each heading to sign."""
    cell = _style(9, BOLD)
    table = Table(
        [[Paragraph(_text(s), cell) for s in SIGNATURES], ["", ""]],
        colWidths=[(PAGE[0] - 2 * MARGIN) / 2] * 2,
        rowHeights=[None, 25 * mm],
    )
    table.setStyle(_grid(False))
    return table


def _derogations(rows: list[SheetRow]) -> list[Flowable]:
    if not rows:
        return [Paragraph("Aucun dossier de la proposition n'a de règle dérogatoire.", _style(9))]
    return [_table([r.cells for r in rows], DEROGATION_COLUMNS, DEROGATION_WIDTHS)]


def _table(
    rows: list[tuple[str, ...]],
    columns: tuple[str, ...] | None,
    widths: tuple[float, ...],
    header: bool = True,
) -> Table:
    cell, bold = _style(8), _style(8, BOLD)
    body = [[Paragraph(_text(c), cell) for c in row] for row in rows]
    if columns:
        body.insert(0, [Paragraph(_text(c), bold) for c in columns])
    usable = PAGE[0] - 2 * MARGIN
    table = Table(
        body,
        colWidths=[usable * w / sum(widths) for w in widths],
        repeatRows=1 if columns else 0,
    )
    table.setStyle(_grid(header and bool(columns)))
    return table


def _grid(header: bool) -> TableStyle:
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    return TableStyle(commands)


def _text(value: str) -> str:
    """Cell text as ReportLab's paragraph markup reads it: escaped, line breaks kept."""
    return html.escape(value, quote=False).replace("\n", "<br/>")
