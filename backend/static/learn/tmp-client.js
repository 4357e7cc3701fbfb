// TEMPORARY stand-in for client/sdk/shigang.js until the SDK lands: client.api only.
export function createClient({ baseUrl }) {
  let token = null;
  return {
    setToken(t) { token = t; },
    get token() { return token; },
    async api(method, path, body) {
      const headers = { Accept: 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let response;
      try {
        response = await fetch(baseUrl + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw { status: 0, code: 'network_error', message: '网络连接失败，请检查网络后重试。' };
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) {
        const err = (data && data.error) || {};
        throw { status: response.status, code: err.code || 'http_error', message: err.message || `HTTP ${response.status}` };
      }
      return data;
    },
  };
}
