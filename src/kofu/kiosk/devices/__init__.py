"""The kiosk's devices behind small interfaces: card slot, cash device, printer."""
