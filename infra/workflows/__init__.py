"""The GitHub Actions side: which env an event deploys to, GitHub's trigger-filter semantics, and
(with the workflow files) which workflows and jobs an event runs."""
