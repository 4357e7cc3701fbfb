"""Online support (在线支持服务): threads and the WeChat notice of a reply."""
