"""The annual evaluation report (县域经济发展评价报告) of a program: requested by a provincial officer, generated in the
background as HTML and PDF.

The package keeps one module per step: :mod:`.lifecycle` (requesting, generating, failing), :mod:`.figures` (what the
report states), :mod:`.narrative` (rounding for display and the sentences) and :mod:`.document` (charts, template
model, HTML and PDF). Every name is importable from ``reporting.evaluation`` as before.

- ``evaluation_report_request`` records a queued report, or returns the one already queued or running for the
  program, year and scope (the partial unique indexes ``evaluation_report_one_pending_per_program_year`` and
  ``…_per_county_year`` decide between two concurrent requests), and enqueues the task once the transaction commits.
- A report's scope is the whole program (``county`` empty: for the provincial roles) or one weak county: a county
  report is gathered from that county's rows alone, so it can be given to the liaisons of its pairing without
  carrying any other county's figures (no group figures, no list of other counties, no fund-wide totals).
- ``evaluation_report_generate`` claims the row with a conditional ``UPDATE … WHERE status = 'queued'`` (a second
  run of the task changes nothing), gathers the figures, draws the charts, renders the HTML and the PDF and stores
  both in the default storage. Progress is written with single-row UPDATEs in autocommit, so a page polling the row
  sees it move: 10 % figures gathered, 40 % charts drawn, 70 % HTML written, 100 % PDF stored.
- ``evaluation_figures`` reads everything the report states, at full precision (decimals as strings);
  ``evaluation_document`` rounds for display (1 decimal for % and pp, money in 万元 / 亿元) and the narrative is
  assembled from the same figures, saying plainly when a figure is missing.

The HTML is rendered from the stored figures alone, so the document, the PDF and ``figures`` agree, and the gap
figures are those of ``/api/v1/gaps/`` and ``/api/v1/gaps/summary/`` (same GapResult rows, same ``gaps_summary``).
"""

from .document import (
    HTML_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    TEMPLATE,
    evaluation_charts,
    evaluation_document,
    evaluation_html,
    evaluation_pdf,
)
from .figures import FIGURES_VERSION, RANK_HISTORY_YEARS, evaluation_figures
from .lifecycle import (
    PENDING,
    STALE_AFTER,
    STEP_CHARTS,
    STEP_DONE,
    STEP_FAILED,
    STEP_GATHER,
    STEP_HTML,
    STEP_PDF,
    STEP_QUEUED,
    STEP_RETRY,
    TRANSIENT_ERRORS,
    evaluation_report_check_county,
    evaluation_report_check_year,
    evaluation_report_fail,
    evaluation_report_generate,
    evaluation_report_request,
)
from .narrative import evaluation_narrative, indicator_label, pct_text, pp_text, rank_change_text, rounded

__all__ = [
    "FIGURES_VERSION",
    "HTML_CONTENT_TYPE",
    "PDF_CONTENT_TYPE",
    "PENDING",
    "RANK_HISTORY_YEARS",
    "STALE_AFTER",
    "STEP_CHARTS",
    "STEP_DONE",
    "STEP_FAILED",
    "STEP_GATHER",
    "STEP_HTML",
    "STEP_PDF",
    "STEP_QUEUED",
    "STEP_RETRY",
    "TEMPLATE",
    "TRANSIENT_ERRORS",
    "evaluation_charts",
    "evaluation_document",
    "evaluation_figures",
    "evaluation_html",
    "evaluation_narrative",
    "evaluation_pdf",
    "evaluation_report_check_county",
    "evaluation_report_check_year",
    "evaluation_report_fail",
    "evaluation_report_generate",
    "evaluation_report_request",
    "indicator_label",
    "pct_text",
    "pp_text",
    "rank_change_text",
    "rounded",
]
