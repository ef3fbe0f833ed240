"""The dashboard's entry point: page configuration and routing only (pages live in pages/)."""

import streamlit as st

import ui
from i18n import t

st.set_page_config(page_title=t("app.title", ui.current_lang()), page_icon=":material/insights:", layout="wide")
ui.run(ui.navigation())
