"""kofu.office: the municipal office's staff-side services (PIN resets now; office pages later)."""
