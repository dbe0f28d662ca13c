"""UI components: Jinja macro files beside the pure functions that build their view models and Plotly figures."""
