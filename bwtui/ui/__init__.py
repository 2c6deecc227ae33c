"""The Textual monitor (imported only when the full-screen UI starts)."""
