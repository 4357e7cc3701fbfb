/**
 * The WeChat mini-program adapter of the Shigang SDK: wx.request, wx.getStorageSync /
 * setStorageSync, timers and wx.onAppHide / wx.onAppShow for visibility.
 *
 *   import { wechatAdapter } from './adapters/wechat.js';
 *   createClient({ baseUrl: 'https://learn.example.cn', adapter: wechatAdapter(wx) });
 */

/**
 * @param {any} wx the mini-program's global `wx`
 * @returns {import('../shigang.js').Adapter}
 */
export function wechatAdapter(wx) {
  let visible = true;
  return {
    request({ method, url, headers, body, timeoutMs }) {
      return new Promise((resolve, reject) => {
        wx.request({
          url,
          method,
          header: headers,
          data: body,
          timeout: timeoutMs,
          dataType: 'json',
          success(res) {
            const header = res.header || {};
            const lookup = (name) => {
              const key = Object.keys(header).find((k) => k.toLowerCase() === name.toLowerCase());
              return key === undefined ? undefined : String(header[key]);
            };
            resolve({ status: res.statusCode, data: res.data === '' ? null : res.data, header: lookup });
          },
          fail(err) { reject(new Error((err && err.errMsg) || 'request:fail')); },
        });
      });
    },
    storage: {
      get(key) { try { const v = wx.getStorageSync(key); return v === '' || v === undefined ? null : String(v); } catch (e) { return null; } },
      set(key, value) { try { wx.setStorageSync(key, value); } catch (e) { /* storage full */ } },
      remove(key) { try { wx.removeStorageSync(key); } catch (e) { /* nothing to remove */ } },
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id),
    now: () => Date.now(),
    isVisible: () => visible,
    onVisibilityChange(fn) {
      const hide = () => { visible = false; fn(false); };
      const show = () => { visible = true; fn(true); };
      wx.onAppHide(hide);
      wx.onAppShow(show);
      return () => {
        if (wx.offAppHide) wx.offAppHide(hide);
        if (wx.offAppShow) wx.offAppShow(show);
      };
    },
  };
}
