"""A second, independent MCP client (the official Python SDK) against a connector.

Usage: python_client.py stdio <binary> [args...]
       python_client.py http <url>
Lists tools, checks every tool carries all four annotation hints, and calls
one read tool. Exits non-zero on any problem.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client


async def exercise(session: ClientSession, read_tool: str, args: dict) -> None:
    await session.initialize()
    tools = (await session.list_tools()).tools
    assert tools, "no tools"
    for tool in tools:
        a = tool.annotations
        assert a is not None, f"{tool.name}: no annotations"
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert getattr(a, hint) is not None, f"{tool.name}: {hint} missing"
    result = await session.call_tool(read_tool, args)
    assert not result.isError, f"{read_tool} failed: {result.content}"
    print(json.dumps({"tools": len(tools), "called": read_tool, "ok": True}))


async def main() -> None:
    mode, target, *rest = sys.argv[1:]
    read_tool, args = "list_hooks", {}
    if mode == "stdio":
        params = StdioServerParameters(command=target, args=rest)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await exercise(session, read_tool, args)
    else:
        async with streamablehttp_client(target) as (read, write, _):
            async with ClientSession(read, write) as session:
                await exercise(session, read_tool, args)


asyncio.run(main())
