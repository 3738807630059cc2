"""Operations dashboard for machine-learning models that make credit decisions."""

__version__ = "0.1.0"
