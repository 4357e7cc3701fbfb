"""The supervision API's rules (监管平台): bureau API keys and the incremental reads they allow."""
