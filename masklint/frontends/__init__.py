"""Front ends turn saved files, source code and live models into the IR."""
