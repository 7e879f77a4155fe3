"""The image domain: bytes and a guideline in, a result out (no AWS, no web framework, no storage)."""
