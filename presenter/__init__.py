"""Presentation without Streamlit: the forum deck (slides, screen, .pptx, report), the public ledger, charts, the
CSV and Excel downloads, the narrative, and the words for uploads, changes and the audit trail."""
