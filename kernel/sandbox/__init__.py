"""Work on untrusted files in separate processes bounded in time and memory (POSIX setrlimit):
``SandboxPool`` (``call`` any "module:function", ``render_page`` of a PDF), shared by the GED
(text extraction, signatures, previews) and the repository (previews of the review screen)."""
