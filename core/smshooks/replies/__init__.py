"""Reply templates: rendering in the bounded sandbox and the SMS cost of the text."""
