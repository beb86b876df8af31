"""The Leads MCP server: lead search and status tools for AI assistants."""
