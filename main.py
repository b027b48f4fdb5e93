from dify_plugin import DifyPluginEnv, Plugin

from models.llm.count_request import ImageHeadersForCounts
from models.stdio import read_requests_in_larger_pieces
from models.warmup import warm_up

# MAX_REQUEST_TIMEOUT is read by the SDK only in serverless mode, where it closes a request that
# has written nothing for that many seconds. Dify's daemon cuts every invocation after 600 s in
# total (PLUGIN_MAX_EXECUTION_TIMEOUT), in every mode; the plugin's own budget ends each call
# before that (provider/transport.py, 570 s), so this value only has to stay out of its way.
plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=600))

if __name__ == "__main__":
    read_requests_in_larger_pieces(ImageHeadersForCounts)
    warm_up()
    plugin.run()
