from dify_plugin import DifyPluginEnv, Plugin

# Long reasoning streams can stay quiet for minutes; the request timeout must exceed
# the AtlasCloud client's read timeout (provider/connection.py) so Dify never cuts them first.
plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=660))

if __name__ == "__main__":
    plugin.run()
