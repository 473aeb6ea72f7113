// MapView: a Leaflet map as a Preact component, for the managers' and HQ's screens. It imports
// Leaflet and its CSS, so import it only from lazily loaded screen packages (screens/manager/,
// screens/hq/): never from the first page's bundle.
//
//   <${MapView}
//     markers=${[{ id, lat, lon, label?, kind?, tone?, title?, testid?, data? }]}
//     lines=${[{ id?, points: [[lat, lon], …], tone?, dashed?, weight?, title?, className? }]}
//     tiles=${undefined | null | 'https://…/{z}/{x}/{y}.png'}
//     attribution=${'© …'}           (with a `tiles` URL; else the installation's)
//     bounds=${[[lat, lon], [lat, lon]]}  (optional: what to show; default: everything drawn)
//     fitKey=${'…'}                   (optional: refit only when this changes; default: when the
//                                      markers' and lines' positions change)
//     maxZoom=${17}  height=${'360px'}  class=${'…'}  label=${'aria label'}
//     selected=${markerId}            (that marker is highlighted and brought to the front)
//     onMarkerClick=${(marker) => …}
//   />
//
// markers
//   kind   'number' (default when `label` is set: a round badge with the label text),
//          'dot'    (a small circle, e.g. a store; default without `label`),
//          'square' (a square badge with the label: a reported point, a start point)
//   radius a dot's radius in px (default 7): e.g. a circle sized by a quantity
//   tone   'brand' (default) | 'warn' | 'err' | 'ok' | 'muted' | 'alt'
//   title  a tooltip (plain text, never HTML); `permanent` shows it always, beside the marker (a
//          name on a map of people); `testid` → data-testid of the marker element
//          (default "map-marker"); data-marker-id is the marker's id; `data` is kept for onMarkerClick.
// lines
//   the same tones; `dashed` draws a dashed line; `className` is added to the SVG path
//   (default "map-line"), e.g. to find it in a test.
// tiles
//   undefined: the installation's tile server (GET /api/v1/app-config `map_tile_url`, fetched once);
//   null or '': no tile layer at all; a URL template: that server. The map works without tiles
//   (a plain background, the markers and lines, a scale bar): tests and offline desktops have no
//   tile server, and a tile that fails to load is simply left blank.
//
// Everything is drawn with DOM elements and SVG (no marker images to fetch), so it renders offline.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import * as api from '../api.js';
import './MapView.css';

export const TONES = {
  brand: '#0b5cad',
  warn: '#c77700',
  err: '#b3261e',
  ok: '#1a7a38',
  muted: '#6b7885',
  alt: '#6a3fb5',
};
const toneColor = (tone) => TONES[tone] || tone || TONES.brand;

let configPromise = null;

/** The installation's map settings `{map_tile_url, map_attribution, business_timezone}` (fetched
 * once; on failure: no tiles). */
export function mapConfig() {
  if (!configPromise) {
    configPromise = api.request('GET', '/app-config').catch((err) => {
      configPromise = null; // try again next time
      console.warn('app-config unavailable: maps without tiles', err);
      return { map_tile_url: '', map_attribution: '' };
    });
  }
  return configPromise;
}

function tilesSetting(tiles, attribution) {
  if (tiles === undefined) return null; // ask the installation
  return { url: tiles || '', attribution: attribution || '' };
}

/** Marker element of a label badge (text only, never HTML). */
function badgeIcon(m, selected) {
  const el = document.createElement('div');
  const kind = m.kind === 'square' ? 'square' : 'number';
  el.className = `mapview-badge mapview-${kind}${selected ? ' mapview-selected' : ''}`;
  el.style.background = toneColor(m.tone);
  el.textContent = m.label == null ? '' : String(m.label);
  el.setAttribute('data-testid', m.testid || 'map-marker');
  el.setAttribute('data-marker-id', String(m.id));
  if (m.tone) el.setAttribute('data-tone', m.tone);
  const size = String(m.label ?? '').length > 2 ? 30 : 24;
  return L.divIcon({ className: 'mapview-icon', html: el, iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
}

function textNode(text) {
  const span = document.createElement('span');
  span.textContent = String(text);
  return span;
}

const valid = (lat, lon) => Number.isFinite(Number(lat)) && Number.isFinite(Number(lon));

function positionsKey(markers, lines) {
  const parts = [];
  for (const m of markers || []) parts.push(`${m.lat},${m.lon}`);
  for (const l of lines || []) for (const p of l.points || []) parts.push(`${p[0]},${p[1]}`);
  return parts.join(';');
}

export function MapView({
  markers = [],
  lines = [],
  tiles,
  attribution,
  bounds = null,
  fitKey,
  maxZoom = 17,
  height = '360px',
  class: className = '',
  label,
  selected = null,
  onMarkerClick,
}) {
  const el = useRef(null);
  const map = useRef(null);
  const overlay = useRef(null);
  const tileLayer = useRef(null);
  const clickRef = useRef(onMarkerClick);
  clickRef.current = onMarkerClick;
  const fitRef = useRef(null); // the last fit, run again when a hidden map gets a size
  const [setting, setSetting] = useState(() => tilesSetting(tiles, attribution));
  const hasTiles = Boolean(setting?.url);

  // The map itself, once.
  useEffect(() => {
    const m = L.map(el.current, { zoomControl: true, attributionControl: true, preferCanvas: false, maxZoom: 19 });
    m.attributionControl.setPrefix(false);
    L.control.scale({ imperial: false }).addTo(m);
    m.setView([23.13, 113.32], 11); // until there is something to show
    overlay.current = L.layerGroup().addTo(m);
    map.current = m;
    let ro = null;
    if (typeof ResizeObserver !== 'undefined') {
      let visible = el.current.clientWidth > 0 && el.current.clientHeight > 0;
      ro = new ResizeObserver(() => {
        m.invalidateSize({ pan: false });
        const now = el.current && el.current.clientWidth > 0 && el.current.clientHeight > 0;
        if (now && !visible && fitRef.current) fitRef.current();
        visible = now;
      });
      ro.observe(el.current);
    }
    return () => {
      if (ro) ro.disconnect();
      m.remove();
      map.current = null;
    };
  }, []);

  // Which tiles.
  useEffect(() => {
    const direct = tilesSetting(tiles, attribution);
    if (direct) {
      setSetting(direct);
      return undefined;
    }
    let alive = true;
    mapConfig().then(
      (cfg) => alive && setSetting({ url: cfg.map_tile_url || '', attribution: cfg.map_attribution || '' }),
    );
    return () => {
      alive = false;
    };
  }, [tiles, attribution]);

  useEffect(() => {
    const m = map.current;
    if (!m) return;
    if (tileLayer.current) {
      tileLayer.current.remove();
      tileLayer.current = null;
    }
    if (setting?.url) {
      tileLayer.current = L.tileLayer(setting.url, {
        attribution: setting.attribution,
        maxZoom: 19,
        crossOrigin: true,
      }).addTo(m);
    }
  }, [setting?.url, setting?.attribution]);

  // Markers and lines, redrawn when they change.
  useEffect(() => {
    const group = overlay.current;
    if (!group) return;
    group.clearLayers();
    for (const line of lines || []) {
      const pts = (line.points || []).filter((p) => p && valid(p[0], p[1]));
      if (pts.length < 2) continue;
      const path = L.polyline(pts, {
        color: toneColor(line.tone),
        weight: line.weight || 3,
        opacity: 0.85,
        dashArray: line.dashed ? '6 6' : null,
        className: line.className || 'map-line',
        interactive: Boolean(line.title),
      });
      if (line.title) path.bindTooltip(textNode(line.title), { sticky: true });
      group.addLayer(path);
    }
    const ordered = [...(markers || [])].filter((m) => valid(m.lat, m.lon));
    // The selected one last: on top.
    ordered.sort((a, b) => (a.id === selected ? 1 : 0) - (b.id === selected ? 1 : 0));
    for (const m of ordered) {
      const isSel = selected !== null && selected !== undefined && m.id === selected;
      const kind = m.kind || (m.label !== undefined && m.label !== null ? 'number' : 'dot');
      let layer;
      if (kind === 'dot') {
        layer = L.circleMarker([m.lat, m.lon], {
          radius: (Number(m.radius) > 0 ? Number(m.radius) : 7) + (isSel ? 2 : 0),
          color: '#fff',
          weight: 2,
          fillColor: toneColor(m.tone),
          fillOpacity: 0.95,
          className: `map-dot${m.testid ? ` ${m.testid}` : ''}`,
        });
      } else {
        layer = L.marker([m.lat, m.lon], {
          icon: badgeIcon({ ...m, kind }, isSel),
          keyboard: false,
          zIndexOffset: isSel ? 1000 : kind === 'square' ? 500 : 0,
          riseOnHover: true,
        });
      }
      if (m.title)
        layer.bindTooltip(textNode(m.title), {
          direction: m.permanent ? 'right' : 'top',
          offset: m.permanent ? [12, 0] : kind === 'dot' ? [0, -6] : [0, -12],
          permanent: Boolean(m.permanent),
          className: m.permanent ? 'mapview-name' : '',
        });
      layer.on('click', () => clickRef.current?.(m));
      group.addLayer(layer);
    }
  }, [markers, lines, selected]);

  // What to show: the given bounds, or everything drawn; refit when the positions change. Names
  // shown beside their markers (`permanent`) get room on the right.
  const namesBeside = (markers || []).some((x) => x.permanent && x.title);
  const key = fitKey !== undefined ? String(fitKey) : `${positionsKey(markers, lines)}|${JSON.stringify(bounds)}`;
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    let b = null;
    if (bounds) b = L.latLngBounds(bounds);
    else {
      const pts = [];
      for (const x of markers || []) if (valid(x.lat, x.lon)) pts.push([x.lat, x.lon]);
      for (const l of lines || []) for (const p of l.points || []) if (p && valid(p[0], p[1])) pts.push(p);
      if (pts.length) b = L.latLngBounds(pts);
    }
    if (!b?.isValid()) return;
    const fit = () => {
      m.invalidateSize({ pan: false });
      if (b.getNorthEast().equals(b.getSouthWest())) m.setView(b.getCenter(), Math.min(maxZoom, 16));
      else m.fitBounds(b, { paddingTopLeft: [28, 28], paddingBottomRight: [28 + (namesBeside ? 90 : 0), 28], maxZoom });
    };
    fitRef.current = fit;
    fit();
  }, [key]);

  // Leaflet owns the inner element (its classes and children): Preact never re-renders it.
  return html`<div
    class=${`mapview ${hasTiles ? 'mapview-tiles' : 'mapview-plain'} ${className}`}
    style=${`height:${height}`}
    role="region"
    aria-label=${label}
    data-testid="map"
    data-tiles=${hasTiles ? 'yes' : 'no'}
  >
    <div ref=${el} class="mapview-map"></div>
  </div>`;
}
