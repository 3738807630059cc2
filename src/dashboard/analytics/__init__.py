"""Pure computations: data in, data out; no Streamlit, no DuckDB."""
