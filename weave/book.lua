-- book.lua: the pandoc filter of our weave.
--
-- 1. Diagrams.  A fenced block ```{.dot caption="..."} in a chapter is
--    Graphviz: for HTML it becomes an inline SVG figure, for LaTeX a PDF
--    figure.  dot runs at weave time; PDFs are cached by content in
--    $WEAVE_DOT_DIR.  A diagram that does not draw becomes a visible error
--    box, and the book is still woven.
-- 2. Step headings ("## P:100 Title") show their marker as a small grey
--    label: a link in HTML, \lgmarker in LaTeX (hung in the left margin).
-- 3. Every reference in the prose is a link: a step's marker (H:515), a
--    chapter's title in *italics*, a figure as @fig:NAME ("Figure 3.2");
--    in LaTeX with its page number.  The book's index (lgweave index,
--    $WEAVE_IDX) says where each marker, chapter and figure is.
-- 4. Figures are numbered as LaTeX numbers them ("Figure 3.2", the
--    number comes from lgweave); one wider than the text block is
--    reported on stderr ("too wide"), and drawn shrunk to fit.
-- 5. Concept-index spans, [words]{.idx}, keep their id (lgweave gives
--    one) as an anchor; in LaTeX a label the index's page numbers use.
-- 6. HTML: the page's text, step by step, for the book's search
--    ($WEAVE_SEARCH_DIR/PAGE.js, joined into search-data.js by make).

local html = FORMAT:match('html') ~= nil
local latex = FORMAT:match('latex') ~= nil
local dot_dir = os.getenv('WEAVE_DOT_DIR') or '.'
local dot_font = os.getenv('WEAVE_DOT_FONT') or 'DejaVu Sans'
local idx_dir = os.getenv('WEAVE_IDX')
local search_dir = os.getenv('WEAVE_SEARCH_DIR')
-- The text block: HTML's main column (46rem of 19px, in pt), the PDF's
-- \textwidth (A4 less the margins of book/metadata.yaml).
local html_width_pt = math.floor(46 * 19 * 0.75)
local page = ''         -- the HTML page being woven (metadata "page")

-- The book's index: marker -> page, chapter title -> page and id,
-- figure name -> page and number.
local markers, chapters, figures = {}, {}, {}
local function norm(s)
  return (s:gsub('\u{2019}', "'"):gsub('%s+', ' '))
end
local function tsv(name, row)
  local f = idx_dir and io.open(idx_dir .. '/' .. name, 'r')
  if not f then return end
  for line in f:lines() do
    local t = {}
    for field in (line .. '\t'):gmatch('([^\t]*)\t') do table.insert(t, field) end
    row(t)
  end
  f:close()
end
tsv('markers.tsv', function(t) markers[t[1]] = t[2] end)
tsv('chapters.tsv', function(t)
  if t[3] ~= '0' then
    chapters[norm(t[2])] = { page = t[1], id = 'ch-' .. t[1]:gsub('%.html$', '') }
  end
end)
tsv('figures.tsv', function(t) figures[t[1]] = { page = t[2], number = t[3] } end)

-- All of the PDF is one document; the HTML book is a page per chapter.
local function target(p, id)
  return ((latex or p == page) and '' or p) .. '#' .. id
end

local function dot(format, source)
  local args = { '-T' .. format,
    '-Gfontname=' .. dot_font, '-Nfontname=' .. dot_font,
    '-Efontname=' .. dot_font, '-Gfontsize=11', '-Nfontsize=11',
    '-Efontsize=10', '-Gbgcolor=transparent' }
  return pcall(pandoc.pipe, 'dot', args, source)
end

-- An SVG that can sit inside an HTML page: no prolog, no ids of its own
-- (several diagrams on a page would clash), no tooltips.
local function clean_svg(svg)
  svg = svg:gsub('<%?xml.-%?>%s*', '')
  svg = svg:gsub('<!DOCTYPE.->%s*', '')
  svg = svg:gsub('<!%-%-.-%-%->%s*', '')
  svg = svg:gsub('<title>.-</title>%s*', '')
  svg = svg:gsub(' id="[^"]*"', '')
  svg = svg:gsub('<svg ', '<svg role="img" ', 1)
  return svg
end

local function caption_of(block)
  local text = block.attributes['caption'] or ''
  local doc = pandoc.read(text, 'markdown')
  if doc.blocks[1] then
    return doc.blocks[1].content
  end
  return {}
end

local function failed(block, why)
  io.stderr:write('book.lua: a dot diagram did not draw: ' .. tostring(why) .. '\n')
  return pandoc.Div({
    pandoc.Para({ pandoc.Strong({ pandoc.Str('This diagram did not draw:') }) }),
    pandoc.CodeBlock(block.text) }, pandoc.Attr('', { 'diagram-error' }))
end

local function CodeBlock(block)
  if not block.classes:includes('dot') then
    return nil
  end
  local id = block.identifier
  local caption = caption_of(block)
  local number = block.attributes['number']
  if html then
    local ok, svg = dot('svg', block.text)
    if not ok then return failed(block, svg) end
    local width = tonumber(svg:match('<svg width="([%d.]+)pt"') or '0')
    if width > html_width_pt then
      io.stderr:write(string.format('book.lua: %s: Figure %s%s is too wide: %.0fpt, the text block is %dpt\n',
        page, number or '?', id ~= '' and (' (' .. id .. ')') or '', width, html_width_pt))
    end
    if number then
      table.insert(caption, 1, pandoc.Space())
      table.insert(caption, 1, pandoc.Strong({ pandoc.Str('Figure ' .. number .. '.') }))
    end
    local open = '<figure class="diagram"' .. (id ~= '' and (' id="' .. id .. '"') or '') .. '>\n'
    return {
      pandoc.RawBlock('html', open .. clean_svg(svg) .. '<figcaption>'),
      pandoc.Plain(caption),
      pandoc.RawBlock('html', '</figcaption></figure>') }
  elseif latex then
    local file = dot_dir .. '/' .. pandoc.utils.sha1(dot_font .. block.text) .. '.pdf'
    local f = io.open(file, 'r')
    if f then
      f:close()
    else
      local ok, pdf = dot('pdf', block.text)
      if not ok then return failed(block, pdf) end
      f = io.open(file, 'wb')
      f:write(pdf)
      f:close()
    end
    local label = id ~= '' and ('\\label{' .. id .. '}') or ''
    local name = (number and ('Figure ' .. number) or 'a figure') .. (id ~= '' and (' (' .. id .. ')') or '')
    local inlines = { pandoc.RawInline('latex', '\\caption{') }
    for _, x in ipairs(caption) do table.insert(inlines, x) end
    table.insert(inlines, pandoc.RawInline('latex', '}' .. label))
    return {
      pandoc.RawBlock('latex', '\\begin{figure}[htbp]\\centering' .. (id ~= '' and ('\\lgdest{' .. id .. '}') or '')
        .. '\\lgdiagram{' .. file .. '}{' .. name .. '}'),
      pandoc.Plain(inlines),
      pandoc.RawBlock('latex', '\\end{figure}') }
  end
  return nil
end

local function Header(h)
  if h.level == 1 then
    local number = h.attributes['number']
    if html and number then
      h.content:insert(1, pandoc.Space())
      h.content:insert(1, pandoc.Span({ pandoc.Str(number) }, pandoc.Attr('', { 'chapter-number' })))
    elseif latex and not number then
      -- Front and back matter, the index: unnumbered, but their pages'
      -- headers name them, not the chapter before.
      h.classes:insert('unnumbered')
      local title = pandoc.utils.stringify(h):gsub('[#$%%&_{}]', '\\%0')
      return { h, pandoc.RawBlock('latex', '\\markboth{' .. title .. '}{}') }
    end
    return h
  end
  if not (latex and h.classes:includes('step')) then
    return nil
  end
  -- The first inline is the marker's link; LaTeX hangs it in the margin.
  local first = h.content[1]
  if first and first.t == 'Link' then
    h.content[1] = pandoc.RawInline('latex', '\\lgmarker{' .. h.identifier .. '}')
    if h.content[2] and h.content[2].t == 'Space' then
      h.content:remove(2)
    end
  end
  return h
end

-- [words]{.idx}: an anchor for the index of concepts.
local function Span(span)
  if not span.classes:includes('idx') or span.identifier == '' then
    return nil
  end
  if latex then
    local id = span.identifier
    span.identifier = ''
    span.content:insert(1, pandoc.RawInline('latex', '\\hypertarget{' .. id .. '}{}\\label{' .. id .. '}'))
  end
  return span
end

-- ------------------------------------------------ references as links

-- A link to id on page p; in LaTeX followed by its page number.
local function ref(content, p, id)
  local link = pandoc.Link(content, target(p, id), '', pandoc.Attr('', { 'xref' }))
  if latex then
    return { link, pandoc.RawInline('latex', '\\lgpage{' .. id .. '}') }
  end
  return { link }
end

-- "(H:515)," -> "(", a link to H:515, "),".  Unknown markers stay text.
local function Str(str)
  local s, out, pos = str.text, {}, 1
  while true do
    local a, b = s:find('%u:%d%d%d', pos)
    if not a then break end
    local marker = s:sub(a, b)
    local before, after = s:sub(a - 1, a - 1), s:sub(b + 1, b + 1)
    if markers[marker] and not before:match('[%w_]') and not after:match('[%w_]') then
      if a > pos then table.insert(out, pandoc.Str(s:sub(pos, a - 1))) end
      for _, x in ipairs(ref({ pandoc.Str(marker) }, markers[marker], marker)) do
        table.insert(out, x)
      end
      pos = b + 1
    else
      if a > pos or b >= pos then table.insert(out, pandoc.Str(s:sub(pos, b))) end
      pos = b + 1
    end
  end
  if #out == 0 then return nil end
  if pos <= #s then table.insert(out, pandoc.Str(s:sub(pos))) end
  return out, false
end

-- *The Guest's memory*: a chapter's title, in italics, is a link to it.
local function Emph(emph)
  local chapter = chapters[norm(pandoc.utils.stringify(emph))]
  if not chapter then return nil end
  return ref({ emph }, chapter.page, chapter.id), false
end

-- @fig:NAME, which pandoc reads as a citation: "Figure 3.2", a link.
local function Cite(cite)
  local name = cite.citations[1] and cite.citations[1].id or ''
  if not name:match('^fig:') then return nil end
  local fig = figures[name]
  if not fig then
    io.stderr:write('book.lua: ' .. page .. ': @' .. name .. ' names no figure\n')
    return pandoc.Str('Figure ??'), false
  end
  return ref({ pandoc.Str('Figure\u{a0}' .. fig.number) }, fig.page, name), false
end

local function keep(x) return x, false end

-- ------------------------------------------------ search (HTML)

local function json(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == '\\' then return '\\\\' end
    return ' '
  end)
  return '"' .. s .. '"'
end

local function html_to_text(s)
  s = s:gsub('<[^>]*>', ' ')
  s = s:gsub('&lt;', '<'):gsub('&gt;', '>'):gsub('&quot;', '"'):gsub('&#x27E8;', '<'):gsub('&#x27E9;', '>')
  s = s:gsub('&#x[%x]+;', ' '):gsub('&amp;', '&')
  return s
end

-- The page's text, one record per step: page, id, title, text.
local function search_docs(doc)
  if not (html and search_dir and page ~= '') then return nil end
  local title = pandoc.utils.stringify(doc.meta.pagetitle or '')
  local records, cur = {}, { id = '', title = title, text = {} }
  local function flush()
    local text = table.concat(cur.text, ' '):gsub('%s+', ' ')
    if text ~= '' or cur.id ~= '' then
      table.insert(records, '{"p":' .. json(page) .. ',"i":' .. json(cur.id) ..
        ',"t":' .. json(cur.title) .. ',"c":' .. json(title) .. ',"x":' .. json(text) .. '}')
    end
  end
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Header' and block.level == 2 and block.identifier ~= '' then
      flush()
      cur = { id = block.identifier, title = pandoc.utils.stringify(block), text = {} }
    elseif block.t == 'RawBlock' then
      if block.format == 'html' then table.insert(cur.text, html_to_text(block.text)) end
    else
      table.insert(cur.text, pandoc.utils.stringify(block))
    end
  end
  flush()
  local f = io.open(search_dir .. '/' .. page:gsub('%.html$', '.js'), 'w')
  if f then
    f:write(table.concat(records, ',\n') .. ',\n')
    f:close()
  end
  return nil
end

return {
  { Meta = function(meta)
      page = meta.page and pandoc.utils.stringify(meta.page) or ''
    end },
  { CodeBlock = CodeBlock, Header = Header, Span = Span },
  { traverse = 'topdown', Link = keep, Code = keep, CodeBlock = keep, RawBlock = keep,
    Header = function(h) if h.level == 1 then return h, false end end,
    Str = Str, Emph = Emph, Cite = Cite },
  { Pandoc = search_docs },
}
