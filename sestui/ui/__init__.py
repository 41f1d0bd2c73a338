"""The Textual console. Renders what the store holds and dispatches actions; nothing else imports Textual."""
