// Training coverage (#/training): for each current training topic, how many stores had a training
// on it and how many of their promoters attended (of the active stores and their promoters in
// scope), the average quiz score, and the same by region; below, the gaps — stores with a newly
// launched model on the shelf and no training on it. HQ sees every region (a region filter); a
// manager (`region`: theirs) their region only, as the server answers, and a gap's store opens its
// page (`storeLinks`: the manager's app has one, HQ's desk has none).
import './i18n/index.js'; // HQ's strings (the manager's package loads them with this module)
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { fmt, localField, localName, t } from '../../i18n/index.js';
import { CsvButton, ErrorBanner, RefreshButton, useRemote } from '../desk/kit.js';
import { ChannelRegionField } from './channelCommon.js';
import { cleanQuery, regionName, useLookups, useSavedFilters } from './marketCommon.js';
import { fraction, gapTopic, scoreText, sortCoverage, sortGaps } from './quality.js';
import * as qapi from './qualityApi.js';
import './market.css';
import './channel.css';
import './quality.css';

const initial = () => ({ region_id: '' });

/** "3 / 8" over a bar of the share (a dash and an empty bar when the total is 0). */
function Frac({ part, total, testid }) {
  const f = fraction(part, total);
  return html`<div class="frac" data-testid=${testid} data-part=${part ?? ''} data-total=${total ?? ''}>
    <div class="frac-text">
      <span>${fmt.number(part ?? 0)} / ${fmt.number(total ?? 0)}</span>
      <span class="muted small">${f === null ? '–' : fmt.percent(f)}</span>
    </div>
    <div class=${f === null ? 'frac-bar frac-none' : 'frac-bar'} role="img" aria-label=${t('trainingCov.fracLabel', { part: part ?? 0, total: total ?? 0 })}>
      <div style=${`width:${f === null ? 0 : Math.round(100 * f)}%`}></div>
    </div>
  </div>`;
}

function RegionRows({ topic, regions }) {
  const rows = topic.regions || [];
  if (!rows.length) return html`<p class="muted small">${t('trainingCov.noRegions')}</p>`;
  return html`<table class="table table-compact" data-testid="coverage-regions" data-topic=${topic.topic_id}>
    <thead>
      <tr>
        <th>${t('channel.region')}</th>
        <th>${t('trainingCov.stores')}</th>
        <th class="num">${t('trainingCov.avgScore')}</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.region_id} data-testid="coverage-region-row" data-region=${r.region_id}>
          <td>${r.region_name || regionName(regions, r.region_id)}</td>
          <td><${Frac} part=${r.stores_trained} total=${r.stores_total} testid="cov-region-stores" /></td>
          <td class="num" data-testid="cov-region-score">${scoreText(r.avg_score_pct)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function Gaps({ gaps, topics, regions, products, storeLinks }) {
  const { data, loading, error, reload } = gaps;
  const rows = useMemo(() => sortGaps(Array.isArray(data) ? data : []), [data]);
  const modelName = (g) => {
    const p = products.find((x) => String(x.id) === String(g.product_id));
    return p ? localName(p) : '';
  };
  const columns = () => [
    { key: 'store_name', label: t('channel.store') },
    { key: 'region_id', label: t('channel.region'), value: (g) => regionName(regions, g.region_id) },
    { key: 'model_code', label: t('channel.model') },
    { key: 'topic', label: t('trainingCov.topic'), value: (g) => gapTopic(g, topics) || '' },
    { key: 'seen_on', label: t('trainingCov.gaps.seenOn') },
  ];
  return html`<section class="card" data-testid="training-gaps">
    <div class="toolbar">
      <h3 style="margin:0">${t('trainingCov.gaps.title')}</h3>
      <${CsvButton} name="training-gaps" rows=${rows} columns=${columns} testid="gaps-csv" />
    </div>
    <p class="small muted">${t('trainingCov.gaps.explain')}</p>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap table-scroll table-short">
            <table class="table channel-table" data-testid="gap-table">
              <thead>
                <tr>
                  <th>${t('channel.store')}</th>
                  <th>${t('channel.region')}</th>
                  <th>${t('channel.model')}</th>
                  <th>${t('trainingCov.topic')}</th>
                  <th>${t('trainingCov.gaps.seenOn')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map((g, i) => {
                  const topic = gapTopic(g, topics);
                  const store = g.store_name || `#${g.store_id}`;
                  return html`<tr key=${`${g.store_id}|${g.product_id}|${i}`} data-testid="gap-row" data-store=${g.store_id} data-product=${g.product_id}>
                    <td class="name">${storeLinks ? html`<a href=${`#/store/${g.store_id}`} data-testid="gap-store-link">${store}</a>` : store}</td>
                    <td>${regionName(regions, g.region_id)}</td>
                    <td>${g.model_code ?? `#${g.product_id}`} <span class="small muted">${modelName(g)}</span></td>
                    <td>${topic || html`<span class="muted">${t('trainingCov.gaps.noTopic')}</span>`}</td>
                    <td>${g.seen_on ? fmt.day(g.seen_on) : '–'}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>
          <p class="muted small" data-testid="gap-total">${t('desk.total', { n: rows.length })}</p>`
        : error && !loading
          ? null
          : html`<p class="empty" data-testid="gaps-none">${loading ? t('app.loading') : t('trainingCov.gaps.none')}</p>`
    }
  </section>`;
}

export function TrainingCoverage({ region = null, storeLinks = false }) {
  const { regions, products } = useLookups();
  const [filters, set] = useSavedFilters('training-coverage', initial);
  const [open, setOpen] = useState(null);
  const regionId = region ? String(region) : filters.region_id;
  const query = cleanQuery({ region_id: regionId });
  const key = JSON.stringify(query);
  const coverage = useRemote(() => qapi.coverage(query), [key]);
  const gaps = useRemote(() => qapi.gaps(query), [key]);
  const rows = useMemo(() => sortCoverage(Array.isArray(coverage.data) ? coverage.data : []), [coverage.data]);
  const reload = () => {
    coverage.reload();
    gaps.reload();
  };
  const byRegion = !region; // a manager's one region needs no breakdown

  return html`<div data-testid="training-coverage" data-query=${key}>
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('trainingCov.title')}</h2>
        <${RefreshButton} onClick=${reload} />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
      </div>
      <p class="small muted">${t('trainingCov.explain')}</p>
    </section>

    <section class="card">
      <h3>${t('trainingCov.topics')}</h3>
      <${ErrorBanner} error=${coverage.error} onRetry=${coverage.reload} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table channel-table" data-testid="coverage-table">
                <thead>
                  <tr>
                    <th>${t('trainingCov.topic')}</th>
                    <th>${t('trainingCov.stores')}</th>
                    <th>${t('trainingCov.promoters')}</th>
                    <th class="num">${t('trainingCov.avgScore')}</th>
                    ${byRegion ? html`<th></th>` : null}
                  </tr>
                </thead>
                <tbody>
                  ${rows.map((c) => {
                    const isOpen = open === c.topic_id;
                    return html`<tr key=${c.topic_id} data-testid="coverage-row" data-topic=${c.topic_id}>
                        <td>
                          <strong>${localField(c, 'title')}</strong>
                          <div class="small muted">${c.code}</div>
                        </td>
                        <td><${Frac} part=${c.stores_trained} total=${c.stores_total} testid="cov-stores" /></td>
                        <td><${Frac} part=${c.promoters_trained} total=${c.promoters_total} testid="cov-promoters" /></td>
                        <td class="num" data-testid="cov-score">
                          ${c.avg_score_pct === null || c.avg_score_pct === undefined ? html`<span class="muted small">${t('trainingCov.noQuiz')}</span>` : scoreText(c.avg_score_pct)}
                        </td>
                        ${
                          byRegion
                            ? html`<td>
                                <button
                                  type="button"
                                  class="btn btn-small"
                                  aria-expanded=${isOpen ? 'true' : 'false'}
                                  onClick=${() => setOpen(isOpen ? null : c.topic_id)}
                                  data-testid="coverage-expand"
                                >
                                  ${isOpen ? t('trainingCov.hideRegions') : t('trainingCov.showRegions')}
                                </button>
                              </td>`
                            : null
                        }
                      </tr>
                      ${isOpen ? html`<tr key=${`${c.topic_id}|regions`} class="region-breakdown"><td colspan="5"><${RegionRows} topic=${c} regions=${regions} /></td></tr>` : null}`;
                  })}
                </tbody>
              </table>
            </div>`
          : coverage.error && !coverage.loading
            ? null
            : html`<p class="empty" data-testid="coverage-empty">${coverage.loading ? t('app.loading') : t('trainingCov.none')}</p>`
      }
    </section>

    <${Gaps} gaps=${gaps} topics=${rows} regions=${regions} products=${products} storeLinks=${storeLinks} />
  </div>`;
}
