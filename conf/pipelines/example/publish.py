"""Example job: publish the evaluated rows."""


def main(ctx):  # type: ignore[no-untyped-def]
    ctx.write_output("published", ctx.input("data").select("id", "x", "y"))
