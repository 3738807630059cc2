"""Self-contained reports (HTML, SVG) drawn without Streamlit: used by the pages' downloads and the CLI."""
