from dify_plugin import DifyPluginEnv, Plugin

from provider.daemon import INVOCATION_LIMIT_S
from runtime.startup import start

# MAX_REQUEST_TIMEOUT is read by the SDK only in serverless mode, where it closes a request that
# has written nothing for that many seconds. The daemon's own limit ends every call anyway, and
# the plugin's budget (provider/deadline.py) ends each call before that: this only stays out of the way.
plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=INVOCATION_LIMIT_S))

if __name__ == "__main__":
    start(plugin)
