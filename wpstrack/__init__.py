"""wpstrack: monitoring and reporting for Women, Peace and Security action plans."""

__version__ = "0.1.0"
