from sortcentre.cli import app

app()
