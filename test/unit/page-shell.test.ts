// The web pages' shared frame (src/web/page-shell.ts): one head and one navigation for every page, each page's
// own content in public/pages/. Rendered from the real fragments.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PAGES, type PageFrame, readPage, renderPage, TABS } from '../../src/web/page-shell.js';

const asset = (file: string) => new URL(`../../../src/web/public/${file}`, import.meta.url);
const all: PageFrame[] = Object.values(PAGES);

describe('page frame', () => {
  test('every page has its fragment, a distinct URL and a fragment without a head or a frame of its own', () => {
    assert.equal(new Set(all.map((p) => p.path)).size, all.length);
    for (const page of all) {
      const fragment = asset(`pages/${page.file}`);
      assert.ok(existsSync(fragment), `${page.file} exists`);
      const text = readFileSync(fragment, 'utf8');
      assert.doesNotMatch(text, /<(html|head|body|main|title|nav)\b|<header class="top"/, page.file);
      // The page's CSP allows no inline script or style.
      assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=/i, page.file);
    }
  });

  test('each document: one title, its scripts and styles, the brand, and the subtitle', async () => {
    for (const page of all) {
      const html = await readPage(page, asset);
      assert.match(html, /^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
      assert.equal(html.match(/<title>/g)?.length, 1);
      assert.ok(html.includes(`<title>${page.title} · Smallworld</title>`));
      assert.ok(html.includes('<link rel="stylesheet" href="/app.css">'));
      for (const href of page.styles) assert.ok(html.includes(`<link rel="stylesheet" href="${href}">`), href);
      assert.ok(html.includes(`<script type="module" src="${page.script}"></script>`));
      assert.match(html, new RegExp(`<p class="subtitle"[^>]*>${page.subtitle}</p>`));
      assert.equal(html.match(/<main\b/g)?.length, 1);
      assert.match(html, /<\/main>\n<\/body>\n<\/html>\n$/);
    }
  });

  test("the owner's tabs on the owner's pages only, the current one marked", () => {
    for (const page of all) {
      const html = renderPage(page, '<p>content</p>');
      const nav = html.match(/<nav class="tabs" aria-label="Pages">\s*(.*?)\s*<\/nav>/s);
      if (!page.tabs) {
        assert.equal(nav, null, page.path);
        continue;
      }
      assert.ok(nav, page.path);
      const links = [...(nav[1] ?? '').matchAll(/<a href="([^"]+)"( aria-current="page")?>([^<]+)<\/a>/g)];
      assert.deepEqual(
        links.map((m) => [m[1], m[3]]),
        TABS.map(([path, label]) => [path, label]),
      );
      assert.deepEqual(
        links.filter((m) => m[2]).map((m) => m[1]),
        [page.path],
      );
    }
  });

  test('the login pages have no tabs and no log-out; the owner pages log out; the guest view offers the login', () => {
    assert.ok(!renderPage(PAGES.login, '').includes('id="logout"'));
    assert.ok(!renderPage(PAGES.setup, '').includes('id="logout"'));
    for (const page of [PAGES.device, PAGES.people, PAGES.feed, PAGES.wifi])
      assert.ok(renderPage(page, '').includes('id="logout"'), page.path);
    assert.ok(renderPage(PAGES.device, '').includes('id="link"'));
    assert.ok(renderPage(PAGES.shared, '').includes('href="/login">Owner? Log in</a>'));
    assert.ok(renderPage(PAGES.login, '').includes('<main class="auth">'));
  });
});
