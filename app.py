"""The dashboard's entry point: page configuration and routing only (pages live in pages/)."""

import streamlit as st

from i18n import t
from ui.filters import current_lang
from ui.routing import navigation, run

st.set_page_config(page_title=t("app.title", current_lang()), page_icon=":material/insights:", layout="wide")
run(navigation())
