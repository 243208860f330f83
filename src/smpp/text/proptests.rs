//! Property tests of the text layer.
