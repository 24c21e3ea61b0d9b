// Ofsted import page: while the import runs, fetch the page every 2 seconds and update the
// progress section in place; reload once it has finished so the report shows. (No inline JS: CSP.)
const POLL_MS = 2000

async function poll () {
  const current = document.querySelector('[data-ofsted-progress]')
  if (!current) return
  try {
    const response = await fetch(window.location.href, { cache: 'no-store', credentials: 'same-origin' })
    if (response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), 'text/html')
      const next = page.querySelector('[data-ofsted-progress]')
      if (!next) {
        window.location.reload()
        return
      }
      const bar = current.querySelector('progress')
      const nextBar = next.querySelector('progress')
      bar.max = nextBar.max
      bar.value = nextBar.value
      bar.textContent = nextBar.textContent
      current.querySelector('[aria-live]').textContent = next.querySelector('[aria-live]').textContent
    }
  } catch (error) {
    // Network hiccup: try again next time.
  }
  window.setTimeout(poll, POLL_MS)
}

window.setTimeout(poll, POLL_MS)
